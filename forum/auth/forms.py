"""Auth forms: parsing only. Rules live in forum.auth.services."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectChoice, BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from forum.web import REGIONS

REGION_CHOICES = [SelectChoice("", "Use my browser's setting")] + [SelectChoice(r, r) for r in REGIONS]


class LoginForm(FlaskForm):
    handle = StringField("Your name on Kindred", validators=[InputRequired("Please enter your name on Kindred.")])
    password = PasswordField("Password", validators=[InputRequired("Please enter your password.")])
    remember = BooleanField("Keep me logged in on this device")


class RegisterForm(FlaskForm):
    handle = StringField("Choose a name for Kindred",
                         validators=[InputRequired("Please choose a name."), Length(max=64)])
    password = PasswordField("Password", validators=[InputRequired("Please choose a password."), Length(max=256)])
    email = EmailField("Email (optional)", validators=[Optional(), Length(max=254)])
    region = SelectField("Where are you? (optional, for local helplines)",
                         choices=REGION_CHOICES,
                         validators=[Optional()])
    age_confirmed = BooleanField("I am 16 or older")
    guidelines_accepted = BooleanField("I have read and accept the community guidelines")
    health_consent = BooleanField("I agree that Kindred may process what I share about my health, "
                                  "as the privacy notice explains")
    keep_handle = BooleanField("Keep this name anyway")


class ForgotPasswordForm(FlaskForm):
    email = EmailField("The email address on your account",
                       validators=[InputRequired("Please enter your email address."), Length(max=254)])


class ResetPasswordForm(FlaskForm):
    new_password = PasswordField("New password",
                                 validators=[InputRequired("Please choose a password."), Length(max=256)])
