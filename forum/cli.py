"""Flask CLI commands: ``flask seed-demo``, ``flask users create``."""
from __future__ import annotations

import secrets

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from forum.errors import FieldErrors
from forum.extensions import db

users_cli = AppGroup("users", help="Manage accounts.")

DEMO_BOARDS = [
    ("anxiety", "Anxiety", "Worry, panic, social anxiety and everything in between. Share what it's like and what helps."),
    ("low-mood", "Low mood and depression", "For the heavy days and the slightly lighter ones. You don't have to put on a brave face here."),
    ("loneliness", "Loneliness", "Feeling alone, even around other people. Come and say hello."),
    ("recovery", "Recovery stories", "Steps forward, setbacks and what keeps you going. Hope, told honestly."),
    ("supporting-others", "Supporting someone else", "For partners, friends, family and carers looking after someone who's struggling, and themselves."),
]

# Calm, everyday demo posts. They go through the normal screening path.
DEMO_TOPICS = [
    ("anxiety", "Small things that help before a hard day",
     "I get very anxious the night before appointments. Lately I've been writing a short list of three "
     "things that went okay that day. It doesn't fix everything but it helps me sleep a bit.\n\n"
     "What small things help you?",
     ["Going for a short walk first thing helps me, even ten minutes.",
      "I like your list idea. I might try it tonight.",
      "Breathing out slowly, longer than breathing in. Sounds simple but it works for me."]),
    ("low-mood", "Getting through the weekends",
     "Weekends are the hardest for me. Weekdays have structure but Saturdays feel empty. "
     "Does anyone else find that?",
     ["Yes, very much. I plan one small thing for each day, like buying bread.",
      "Sending you support. You're not the only one."]),
    ("loneliness", "Say hello thread",
     "New here and not sure what to say, so: hello! I moved to a new city this year and haven't met many people.",
     ["Hello and welcome! Glad you found us.", "Hi! Moving is hard. Take your time settling in here."]),
    ("recovery", "Six months on",
     "Six months ago I couldn't get out of bed most days. I'm not 'fixed', but I've had more good days "
     "than bad ones this month. Wanted to share in case it gives anyone a bit of hope.",
     ["This is lovely to read. Thank you for sharing it.", "Well done. That's a lot of hard work."]),
    ("supporting-others", "How do you look after yourself while caring for someone?",
     "My partner is going through a really tough time and I'm trying to be there for them. "
     "I'm exhausted though. How do other people manage?",
     ["Make sure you have someone to talk to as well. It's not selfish.",
      "Carers' groups helped me a lot. You matter too."]),
]


def _password() -> str:
    return secrets.token_urlsafe(12)


def seed_demo(if_empty: bool) -> dict[str, str] | None:
    """Create demo boards, accounts and topics. Returns {handle: password}
    for the staff accounts it created, or None when it did nothing."""
    from forum.auth import services as auth_services
    from forum.boards import services as board_services
    from forum.models import Board, Role

    if db.session.scalar(select(Board.id).limit(1)) is not None:
        if if_empty:
            return None
        raise click.ClickException("The database already has boards. Use --if-empty to skip seeding quietly.")
    for position, (slug, name, description) in enumerate(DEMO_BOARDS):
        db.session.add(Board(slug=slug, name=name, description=description, position=position))
    db.session.commit()
    from forum.chat.services import seed_demo_rooms

    created = {}
    accounts = {}
    for handle, role in (("Moderator Maya", Role.MODERATOR), ("Staff Sam", Role.STAFF)):
        password = _password()
        accounts[role] = auth_services.create_user(handle, password, role)
        created[handle] = password
    members = [auth_services.create_user(h, _password(), Role.MEMBER)
               for h in ("quiet_fox", "tea_and_toast", "north_star", "willow")]
    # Demo accounts have no person behind them to ask; real accounts made with
    # create-user are asked for health-data consent at their first login.
    for user in (*accounts.values(), *members):
        user.health_consent_at = user.created_at
    db.session.commit()
    boards = {b.slug: b for b in db.session.scalars(select(Board))}
    for i, (slug, title, body, replies) in enumerate(DEMO_TOPICS):
        posted = board_services.create_topic(members[i % len(members)], board_services.NewTopic(
            board_id=boards[slug].id, title=title, body=body, anonymous=(i == 1)))
        for j, text in enumerate(replies):
            board_services.reply(members[(i + j + 1) % len(members)],
                                 board_services.NewReply(topic_id=posted.topic.id, body=text))
    seed_demo_rooms(accounts[Role.STAFF])
    return created


def init_app(app: Flask) -> None:
    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Do nothing (successfully) if boards already exist.")
    def seed_demo_command(if_empty: bool) -> None:
        """Create demo boards, topics, and a moderator and a staff account."""
        created = seed_demo(if_empty)
        if created is None:
            click.echo("Demo data already present; nothing to do.")
            return
        click.echo("Demo data created. Keep these passwords; they are shown only once:")
        for handle, password in created.items():
            click.echo(f"  {handle}: {password}")

    @users_cli.command("create")
    @click.argument("handle")
    @click.option("--role", type=click.Choice(["member", "moderator", "staff", "admin"]), default="member",
                  show_default=True)
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
                  help="Prompted for when not given.")
    def create_user_command(handle: str, role: str, password: str) -> None:
        """Create an account with a role (audited)."""
        from forum.auth import services as auth_services

        try:
            user = auth_services.create_user(handle, password, role)
        except FieldErrors as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Created {user.role} account {user.handle!r}.")

    @users_cli.command("set-role")
    @click.argument("handle")
    @click.argument("role", type=click.Choice(["member", "moderator", "staff", "admin"]))
    @click.option("--reason", default=None, help="Recorded in the audit log.")
    def set_role_command(handle: str, role: str, reason: str | None) -> None:
        """Change an account's role (audited)."""
        from forum.auth import services as auth_services

        user = auth_services.find_by_handle(handle)
        if user is None:
            raise click.ClickException(f"No account called {handle!r}.")
        auth_services.set_role(user, role, reason=reason)
        click.echo(f"{user.handle!r} is now {role}.")

    app.cli.add_command(users_cli)
    app.cli.add_command(moderation_cli)


moderation_cli = AppGroup("moderation", help="The moderation engine's models.")


@moderation_cli.command("fetch-model", context_settings={"ignore_unknown_options": True, "help_option_names": []})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def fetch_model_command(args: tuple[str, ...]) -> None:
    """Download, verify and install Detoxify weights (``python -m moderation.detoxify_weights fetch``).

    Options are passed through, e.g. ``flask moderation fetch-model --model original``.
    """
    from moderation import detoxify_weights

    raise SystemExit(detoxify_weights.main(["fetch", "--dest", current_app.config["KINDRED_MODELS_DIR"], *args]))


@moderation_cli.command("status")
def model_status_command() -> None:
    """Show which toxicity scorer and semantic model are configured."""
    from moderation import detoxify_weights

    raise SystemExit(detoxify_weights.main(["status"]))
