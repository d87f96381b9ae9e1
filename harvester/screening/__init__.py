"""Screening: inclusion rules, reviewers' decisions, and where each record ends in the flow."""
