"""Views: parse input, call a service, render. No business logic here."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from forum.errors import FieldErrors
from forum.auth import bp
from forum.auth import services, sessions
from forum.auth.forms import ForgotPasswordForm, LoginForm, RegisterForm, ResetPasswordForm
from forum.extensions import limiter
from forum.web import apply_errors, safe_next


def _login_limit() -> str:
    return current_app.config["KINDRED_LOGIN_LIMIT"]


def _register_limit() -> str:
    return current_app.config["KINDRED_REGISTER_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("pages.home"))
    form = LoginForm()
    general: list[str] = []
    status = 200
    if form.validate_on_submit():
        try:
            user = services.log_in(form.handle.data, form.password.data, request.remote_addr or "?",
                                   request.cookies.get(services.DEVICE_COOKIE))
        except FieldErrors as exc:
            general = exc.errors.get("form", [])
            status = 429 if isinstance(exc, services.LoginThrottled) else 400
        else:
            sessions.begin(user, remember=form.remember.data, user_agent=request.user_agent.string)
            login_user(user, remember=form.remember.data)
            if getattr(user, "closure_cancelled", False):
                flash("Welcome back. Your account is restored: we've cancelled your request to close it, "
                      "and everything is as you left it.", "success")
            target = safe_next(request.args.get("next"), url_for("boards.index"))
            if user.needs_health_consent:
                # Joined before registration asked for it: ask now, before anything else.
                target = url_for("rights.health_consent", next=target)
            response = redirect(target)
            response.set_cookie(services.DEVICE_COOKIE, services.device_token(user),
                                max_age=services.DEVICE_MAX_AGE_SECONDS, path=url_for("auth.login"),
                                secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True, samesite="Lax")
            return response
    return render_template("auth/login.html", form=form, general=general, throttled=status == 429), status


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_register_limit, methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("pages.home"))
    form = RegisterForm()
    general: list[str] = []
    warnings: list[str] = []
    if form.validate_on_submit():
        try:
            user = services.register(services.Registration(
                handle=form.handle.data, password=form.password.data, email=form.email.data,
                age_confirmed=form.age_confirmed.data, guidelines_accepted=form.guidelines_accepted.data,
                keep_handle=form.keep_handle.data, region=form.region.data or None,
                health_consent=form.health_consent.data))
        except FieldErrors as exc:
            warnings = exc.errors.pop("handle_warning", [])
            general = apply_errors(form, exc.errors)
        else:
            sessions.begin(user, user_agent=request.user_agent.string)
            login_user(user)
            flash(f"Welcome to Kindred, {user.handle}. We're glad you're here.", "success")
            return redirect(url_for("boards.index"))
    status = 400 if (form.errors or general or warnings) and request.method == "POST" else 200
    return render_template("auth/register.html", form=form, general=general, warnings=warnings), status


@bp.post("/logout")
@login_required
def logout():
    sessions.end_current()
    logout_user()
    flash("You've logged out. Take care of yourself.", "info")
    return redirect(url_for("pages.home"))


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    sent = False
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        sent = True
    return render_template("auth/forgot.html", form=form, sent=sent,
                           available=services.password_reset_available())


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def reset_password(token: str):
    form = ResetPasswordForm()
    general: list[str] = []
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.new_password.data)
        except FieldErrors as exc:
            general = apply_errors(form, exc.errors)
        else:
            flash("Your password has been changed. You can log in with it now.", "success")
            return redirect(url_for("auth.login"))
    status = 400 if (form.errors or general) and request.method == "POST" else 200
    return render_template("auth/reset.html", form=form, general=general), status
