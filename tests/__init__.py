"""Tests of the ASIC Miners integration, its client and its miner simulator."""
