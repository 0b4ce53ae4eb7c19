"""Chat pages: the room list, a room, its history as JSON, and staff room forms."""
from __future__ import annotations

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms import SelectChoice

from forum.chat import bp, policy, services
from forum.chat.forms import RoomForm
from forum.extensions import db
from forum.models import Board, ChatRoom, utcnow
from forum.web import db_int


def _room_or_404(slug: str) -> ChatRoom:
    room = services.room_by_slug(slug)
    if room is None:
        abort(404)
    return room


@bp.get("/")
def index():
    rooms = services.list_rooms()
    now = utcnow()
    presence = current_app.extensions["kindred_chat"].presence
    listed = [{"room": r, "open": policy.is_open(r, now), "hours": policy.opening_hours_text(r),
               "here": presence.count(r.id), "denial": policy.read_denial(r, current_user)} for r in rooms]
    return render_template("chat/index.html", rooms=listed, access_labels=policy.ACCESS_LABELS)


@bp.get("/<slug>")
def room(slug: str):
    room = _room_or_404(slug)
    denial = policy.read_denial(room, current_user)
    if denial:
        return render_template("chat/denied.html", room=room, reason=denial), 403
    now = utcnow()
    return render_template(
        "chat/room.html", room=room, open_now=policy.is_open(room, now), hours=policy.opening_hours_text(room),
        write_denial=policy.write_denial(room, current_user, now),
        max_chars=current_app.config["KINDRED_MAX_CHAT_CHARS"])


@bp.get("/<slug>/messages")
def messages(slug: str):
    """History by id for scroll-back (``before``) or catch-up (``after``)."""
    room = _room_or_404(slug)
    if policy.read_denial(room, current_user):
        return jsonify({"ok": False, "error": "forbidden"}), 403
    try:
        before, after = _number("before"), _number("after")
        limit = _number("limit", services.HISTORY_PAGE)
    except ValueError:
        return jsonify({"ok": False, "error": "bad_request"}), 400
    return jsonify({"ok": True, **services.history(room, current_user, before=before, after=after, limit=limit)})


def _number(name: str, default: int | None = None) -> int | None:
    raw = request.args.get(name, "")
    return db_int(raw) if raw else default


# -- staff: create and edit rooms -------------------------------------------------------------

def _staff_only() -> None:
    if not current_user.is_staff:
        abort(403)


def _board_choices() -> list[SelectChoice]:
    boards = db.session.execute(select(Board.id, Board.name).order_by(Board.position, Board.name)).all()
    return [SelectChoice(0, "None: a standalone room")] + [SelectChoice(b.id, b.name) for b in boards]


def _form_input(form: RoomForm) -> services.RoomInput:
    schedule = policy.parse_schedule(form.hours.data or "", (form.tz.data or "UTC").strip())
    return services.RoomInput(
        name=form.name.data or "", slug=(form.slug.data or "").strip().lower(),
        description=form.description.data or "", guidelines=form.guidelines.data or "",
        board_id=form.board_id.data or None, access=form.access.data,
        min_approved_posts=form.min_approved_posts.data or 0, schedule=schedule)


def _save(form: RoomForm, room: ChatRoom | None):
    general: list[str] = []
    if form.validate_on_submit():
        try:
            data = _form_input(form)
        except ValueError as exc:
            form.hours.errors = [*form.hours.errors, str(exc)]
        else:
            try:
                if room is None:
                    saved = services.create_room(current_user, data)
                else:
                    saved = services.update_room(current_user, room.id, data)
            except services.ChatError as exc:
                for name, message in exc.extra.get("fields", {}).items():
                    getattr(form, name).errors = [*getattr(form, name).errors, message]
                if not exc.extra.get("fields"):
                    general.append(exc.message)
            else:
                flash(f"Saved the room “{saved.name}”.", "success")
                return redirect(url_for("chat.room", slug=saved.slug))
    status = 400 if request.method == "POST" else 200
    return render_template("chat/room_form.html", form=form, room=room, general=general), status


@bp.route("/rooms/new", methods=["GET", "POST"])
@login_required
def create():
    _staff_only()
    form = RoomForm()
    form.board_id.choices = _board_choices()
    return _save(form, None)


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str):
    _staff_only()
    room = _room_or_404(slug)
    form = RoomForm(obj=None if request.method == "POST" else room)
    form.board_id.choices = _board_choices()
    if request.method == "GET":
        form.board_id.data = room.board_id or 0
        form.tz.data = (room.schedule or {}).get("tz", "Europe/London")
        form.hours.data = policy.schedule_to_text(room.schedule)
    return _save(form, room)
