"""Offline, private desktop assistant with quantized on-device models."""

__version__ = "0.1.0"
APP_NAME = "Offline Assistant"
APP_ID = "offline-assistant"
