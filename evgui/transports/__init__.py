"""Protocol transports (asyncio, no Qt)."""
