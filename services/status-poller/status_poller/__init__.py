"""The status-poller service: follows the delivery state of every SMS."""
