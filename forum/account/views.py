"""Views: parse input, call a service, render. No business logic here."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, logout_user

from forum.account import bp, services
from forum.account.forms import DeactivateForm, PasswordForm, ProfileForm
from forum.auth import services as auth_services
from forum.boards import queries
from forum.web import REGIONS


def _render(status: int = 200, **forms):
    forms.setdefault("profile", ProfileForm(formdata=None, obj=current_user))
    forms.setdefault("password", PasswordForm(formdata=None))
    forms.setdefault("deactivate", DeactivateForm(formdata=None))
    posts = queries.own_posts(current_user, request.args.get("page", 1, type=int) or 1,
                              current_app.config["POSTS_PER_PAGE"])
    # The safety-contact section belongs to the review area; link it when present.
    has_safety = "account.safety" in current_app.view_functions
    return render_template("account/index.html", posts=posts, has_safety=has_safety, **forms), status


def _attach(form, errors: dict[str, list[str]]) -> None:
    for name, messages in errors.items():
        if name in form._fields:
            form._fields[name].errors = list(form._fields[name].errors) + messages


@bp.get("/")
@login_required
def index():
    return _render()


@bp.post("/profile")
@login_required
def profile():
    form = ProfileForm()
    if form.validate_on_submit():
        try:
            services.update_profile(current_user, services.ProfileUpdate(email=form.email.data, region=form.region.data),
                                    REGIONS)
        except auth_services.AccountError as exc:
            _attach(form, exc.errors)
        else:
            flash("Your settings are saved.", "success")
            return redirect(url_for("account.index"))
    return _render(400, profile=form)


@bp.post("/password")
@login_required
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            auth_services.change_password(current_user, form.current_password.data, form.new_password.data)
        except auth_services.AccountError as exc:
            _attach(form, exc.errors)
        else:
            flash("Your password is changed.", "success")
            return redirect(url_for("account.index"))
    return _render(400, password=form)


@bp.post("/deactivate")
@login_required
def deactivate():
    form = DeactivateForm()
    if form.validate_on_submit():
        try:
            services.deactivate(current_user, form.password.data)
        except auth_services.AccountError as exc:
            _attach(form, exc.errors)
        else:
            logout_user()
            flash("Your account is closed. Thank you for being part of Kindred. Take care.", "info")
            return redirect(url_for("pages.home"))
    return _render(400, deactivate=form)
