"""Notifications of what happens to drafts: emails to the people concerned, webhooks to projects.

Every ``DraftEvent`` is the outbox: ``connectors.drafts.record`` asks, after its commit, for
the event's fan-out (by task name, through ``connectors.dispatch``), and a periodic sweep
fans out the events whose request never reached the broker.
"""
