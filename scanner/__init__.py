"""Turning input into codes (see DESIGN.md): ``inputs/`` (USB wedge, serial, network
scanners, cameras, each a plugin chosen by ``type``) and ``decoders/`` (camera pictures to
text), with what they share: ``reads`` (the ``CodeRead`` every input hands its lane),
``debounce``, ``backoff``, ``options`` (strict option tables) and ``errors``.
It never imports the agent: the agent builds on it.
"""
