"""``python -m tests.browser.chat_server``: forum.serve for the chat browser tests.

Identical to ``forum.serve`` except that, while the moderation engine's
stand-in is installed, crisis and contact-detail texts get verdicts of the
real engine's shape (tests/chat/engine.py), so the crisis card and the
moderator alert can be exercised end to end in a real browser.
"""
from tests.chat.engine import install_if_stand_in

if __name__ == "__main__":
    install_if_stand_in()
    # Load the engine's models before serving, so the first chat message in
    # a test is not the one that waits for them.
    import moderation

    moderation.screen("warming up", kind="chat")
    from forum import serve

    serve.main()
