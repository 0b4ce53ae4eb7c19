"""Views: parse input, call a service, render. No business logic here."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, logout_user

from forum.errors import FieldErrors
from forum.account import bp, services
from forum.account.forms import DeactivateForm, LogoutEverywhereForm, PasswordForm, ProfileForm
from forum.auth import services as auth_services
from forum.auth import sessions
from forum.boards import queries
from forum.extensions import limiter
from forum.web import REGIONS, account_key, apply_errors, db_int


def _render(status: int = 200, **forms):
    forms.setdefault("profile", ProfileForm(formdata=None, obj=current_user))
    forms.setdefault("password", PasswordForm(formdata=None))
    forms.setdefault("deactivate", DeactivateForm(formdata=None))
    posts = queries.own_posts(current_user, request.args.get("page", 1, type=db_int) or 1,
                              current_app.config["POSTS_PER_PAGE"])
    # The safety-contact section belongs to the review area; link it when present.
    has_safety = "account.safety" in current_app.view_functions
    forms.setdefault("everywhere", LogoutEverywhereForm(formdata=None))
    from forum.rights import export

    return render_template("account/index.html", posts=posts, has_safety=has_safety,
                           data_export=export.current(current_user), export_token=export.token_for,
                           login_sessions=sessions.active(current_user), this_session=sessions.current_session_id(),
                           approximate=sessions.approximate, **forms), status


def _submit(form, key: str, action, done: str):
    """Validate ``form``, run ``action`` (a service call), then flash ``done``
    and go back to the account page; on errors re-render with them."""
    if form.validate_on_submit():
        try:
            action()
        except FieldErrors as exc:
            apply_errors(form, exc.errors)
        else:
            flash(done, "success")
            return None
    return _render(400, **{key: form})


@bp.get("/")
@login_required
def index():
    return _render()


@bp.post("/profile")
@login_required
def profile():
    form = ProfileForm()
    update = services.ProfileUpdate(email=form.email.data, region=form.region.data,
                                    email_team_messages=bool(form.email_team_messages.data))
    failed = _submit(form, "profile", lambda: services.update_profile(current_user, update, REGIONS),
                     "Your settings are saved.")
    return failed or redirect(url_for("account.index"))


def _password_change_limit() -> str:
    return current_app.config["KINDRED_PASSWORD_CHANGE_LIMIT"]


@bp.post("/password")
@login_required
@limiter.limit(_password_change_limit, key_func=account_key)
def password():
    form = PasswordForm()
    failed = _submit(form, "password",
                     lambda: auth_services.change_password(current_user, form.current_password.data,
                                                           form.new_password.data),
                     "Your password is changed, and every other device is logged out.")
    return failed or redirect(url_for("account.index"))


@bp.post("/deactivate")
@login_required
def deactivate():
    form = DeactivateForm()
    if not form.validate_on_submit():
        return _render(400, deactivate=form)
    try:
        closure = services.deactivate(current_user, form.kind.data, form.password.data)
    except FieldErrors as exc:
        apply_errors(form, exc.errors)
        return _render(400, deactivate=form)
    from forum.rights import erasure

    cases = erasure.holding_cases(current_user.id, closure.due_at) if closure.kind == "erase" else []
    logout_user()
    return render_template("account/closing.html", closure=closure, held=bool(cases),
                           hold_end=erasure.hold_end(cases))


@bp.post("/sessions/end-all")
@login_required
def log_out_everywhere():
    form = LogoutEverywhereForm()
    if not form.validate_on_submit():
        return _render(400, everywhere=form)
    services.log_out_everywhere(current_user)
    logout_user()
    flash("You've been logged out on every device, including this one. Anyone else who had your "
          "account open is out too.", "success")
    return redirect(url_for("pages.home"))
