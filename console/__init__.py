"""SMS Console: a desktop operator console for Twilio SMS."""

__version__ = "0.1.0"
