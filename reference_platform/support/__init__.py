"""The support page: a read-only web page for support staff (role ``support``), with a
login of its own (``docs/support.md``).

Why separate from the admin API: support agents answer customers and card schemes; they
must find an order and prove what happened, never refund, enrol or change anything.
Their accounts are not the admin token, their sessions are cookies that expire, and
every route here only reads.
"""
