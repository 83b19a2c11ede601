"""Tests of the embedded client, against simulated miners."""
