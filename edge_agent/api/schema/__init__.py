"""What the API takes and answers, declared once: request bodies and queries as msgspec
structs (``requests``, ``boxoffice``; their base and our text rules: ``body_rules``), read
by ``decoding`` with errors in the API's words (``validation_errors``); answer shapes
(``responses``); each route's contract (``route_spec``'s ``@spec``) and the OpenAPI
document generated from the live router (``openapi``).
"""
