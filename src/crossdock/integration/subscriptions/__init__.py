"""Webhook subscriptions and the event feed (ARCHITECTURE §4): partners receive their events.

::

    callback_url.py   the SSRF check of callback URLs, at subscription and before every delivery
    store.py          subscriptions per partner, and the tenancy-filtered feed over the outbox
    fan_out.py        WebhookFanOut: committed events → one delivery per matching subscription
    gateway.py        WebhookGateway: the system ``webhooks``, signed CloudEvents over HTTPS
    routes.py         /subscriptions and /events
"""
