"""What the API takes and answers, declared once: request bodies (``requests``,
``boxoffice``), answer shapes (``responses``), each route's contract (``route_spec``'s
``@spec``) and the OpenAPI document generated from the live router (``openapi``).
"""
