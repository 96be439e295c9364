"""The platform's HTTP face: the aiohttp app (``app``), the agents' routes (``agent_routes``:
enrolment, manifest, uploads, leases), the operators' admin routes (``admin_routes``,
``evidence_routes``), request checks (``validation``) and typed app keys."""
