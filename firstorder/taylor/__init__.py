"""Verification: remainders, fits, verdicts, the Taylor test, location of wrong components."""
