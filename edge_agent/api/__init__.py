"""The agent's LAN API (aiohttp): thin handlers that parse, call the gate, shape JSON."""
