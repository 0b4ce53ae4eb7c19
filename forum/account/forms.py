"""Account forms: parsing only."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, RadioField, SelectChoice, SelectField
from wtforms.validators import InputRequired, Length, Optional

from forum.auth.forms import REGION_CHOICES


class ProfileForm(FlaskForm):
    email = EmailField("Email (optional)", validators=[Optional(), Length(max=254)])
    region = SelectField("Region for helplines", choices=REGION_CHOICES,
                         validators=[Optional()])
    email_team_messages = BooleanField("Email me when the moderation team writes to me")


class PasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[InputRequired("Please enter your current password.")])
    new_password = PasswordField("New password", validators=[InputRequired("Please choose a new password."), Length(max=256)])


class DeactivateForm(FlaskForm):
    kind = RadioField("What should happen to what you wrote?", choices=[
        SelectChoice("close", "Close my account and keep my posts. They stay, shown as written by \"Former member\"."),
        SelectChoice("erase", "Erase my account and everything I wrote: posts, replies, chat messages, edits and "
                              "reactions."),
    ], validators=[InputRequired("Please choose whether to keep your posts or erase them.")])
    password = PasswordField("Your password", validators=[InputRequired("Please enter your password to confirm.")])


class LogoutEverywhereForm(FlaskForm):
    """No fields: the CSRF token alone."""
