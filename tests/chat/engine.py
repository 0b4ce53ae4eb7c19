"""Real texts that the moderation engine classifies, shared by chat tests.

No stand-in: the tests run these through the real engine, so a regression
in screening fails the chat tests too.
"""
CONTACT = "message me at someone@example.org and we can talk properly"
IMMINENT = "I want to kill myself tonight"
CONCERN = "I've been feeling hopeless for weeks and can't see the point"
