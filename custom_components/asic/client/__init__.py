"""Embedded client for Bitcoin ASIC miners: asyncio + aiohttp, no Home Assistant imports."""
