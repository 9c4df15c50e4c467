"""Programmatic grader: run the answer's code block against the ticket's unit tests."""
