"""Configuration from the environment (12-factor), with a `.env` file for local runs.

CLI flags override these values through the same class, so a flag and its environment
variable are validated by one code path.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

if TYPE_CHECKING:
    from faqbot.matching.decision import Calibration


BUNDLED_MODEL = Path(__file__).resolve().parent / "models" / "default"
DEFAULT_CACHE = Path.home() / ".cache" / "faqbot"
CALIBRATION_FILE = "calibration.json"
CAPTURE_FILE = "from-slack.yaml"
# answer: reply when confident; suggest: also offer "Did you mean" to the asker; silent: never unasked.
ChannelMode = Literal["answer", "suggest", "silent"]
# Variables earlier versions read, and what replaced them: set, they are reported, not ignored.
RETIRED = {"FAQBOT_SEMANTIC_THRESHOLD": "FAQBOT_CHANNEL_THRESHOLD and FAQBOT_DIRECT_THRESHOLD (or `faqbot calibrate`)"}


class Settings(BaseSettings):
    """Every setting faqbot reads; the environment variable is FAQBOT_ + the upper-case name."""

    model_config = SettingsConfigDict(
        env_prefix="FAQBOT_", env_file=".env", extra="ignore", populate_by_name=True
    )

    faq_path: Path = Field(Path("faq_data"), description="FAQ YAML file or folder of files.")
    model: Path | None = Field(
        BUNDLED_MODEL, description="Model folder of the Siamese LSTM encoder; 'none' for fuzzy matching only."
    )
    index_cache: Path | None = Field(
        DEFAULT_CACHE, description="Folder for encoded FAQ phrasings, reused while model and FAQ are unchanged; 'none' to disable."
    )
    calibration: Path | None = Field(
        None, description="Calibration file from `faqbot calibrate`; default calibration.json in the FAQ folder.",
    )
    channel_threshold: float | None = Field(
        None, ge=0.0, le=1.0, description="Confidence to answer unasked in a channel; overrides the calibration.",
    )
    direct_threshold: float | None = Field(
        None, ge=0.0, le=1.0, description="Confidence to answer DMs, @mentions and /faq; overrides the calibration.",
    )
    fuzzy_threshold: float | None = Field(
        None, ge=0.0, le=1.0, description="Guarded fuzzy ratio (0-1) that answers typos; overrides the calibration.",
    )
    fuzzy_fallback: bool = Field(True, description="Answer by fuzzy matching when the encoder is not confident.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        "INFO", description="Python logging level."
    )

    # Slack's and the platform's own variable names, so their docs apply as written.
    slack_bot_token: SecretStr | None = Field(
        None, validation_alias="SLACK_BOT_TOKEN",
        description="Bot token (xoxb-...); with it `make run` connects to Slack.",
    )
    slack_signing_secret: SecretStr | None = Field(
        None, validation_alias="SLACK_SIGNING_SECRET",
        description="Signing secret that HTTP mode verifies every request with.",
    )
    slack_app_token: SecretStr | None = Field(
        None, validation_alias="SLACK_APP_TOKEN",
        description="App-level token (xapp-...) with connections:write; when set, Socket Mode is used.",
    )
    slack_client_id: str | None = Field(
        None, validation_alias="SLACK_CLIENT_ID",
        description="With SLACK_CLIENT_SECRET: OAuth mode, installable to several workspaces (HTTP mode only).",
    )
    slack_client_secret: SecretStr | None = Field(
        None, validation_alias="SLACK_CLIENT_SECRET", description="OAuth mode's client secret (App Credentials).",
    )
    slack_redirect_uri: str | None = Field(
        None, validation_alias="SLACK_REDIRECT_URI",
        description="OAuth mode: the Redirect URL, https://<host>/slack/oauth_redirect; needed when the app lists several.",
    )
    slack_api_url: str = Field(
        "https://slack.com/api/", description="Slack's Web API base URL (GovSlack: https://slack-gov.com/api/).",
    )
    port: int = Field(
        3000, ge=1, le=65535, validation_alias="PORT",
        description="HTTP mode's port (platforms set PORT).",
    )
    host: str = Field("0.0.0.0", description="HTTP mode's interface.")
    http_threads: int = Field(8, ge=1, description="HTTP mode's worker threads.")
    channel_mode: ChannelMode = Field(
        "answer", description="What the bot does with questions in channels: answer, suggest or silent.",
    )
    channel_modes: Annotated[dict[str, ChannelMode], NoDecode] = Field(
        default_factory=dict, description="Per-channel modes, e.g. C0123ABC=silent,C0456DEF=suggest.",
    )
    # The platform's DATABASE_URL wins, so attaching a PostgreSQL add-on is all it takes.
    database_url: str = Field(
        "sqlite:///faqbot.db", validation_alias=AliasChoices("DATABASE_URL", "FAQBOT_DATABASE_URL", "database_url"),
        description="Where questions and feedback are kept: SQLite file or PostgreSQL URL.",
    )
    user_hash_key: SecretStr | None = Field(
        None, description="Key of the hash that stores Slack user IDs; set it so hashes cannot be guessed.",
    )
    retention_days: int = Field(180, ge=1, description="Records older than this are deleted.")
    admins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Slack user IDs allowed admin commands, besides workspace admins and owners.",
    )
    watch_faq: bool = Field(True, description="Reload the FAQ when its files change.")
    escalation_channel: str | None = Field(
        None, description="Channel ID where \"Ask a human\" posts questions the bot could not answer (else the entry's owners).",
    )
    stale_days: int = Field(
        180, ge=1, description="Entries not reviewed for this many days (or never) are listed to admins and their owners.",
    )
    capture_file: Path | None = Field(
        None, description="YAML file that approved \"Add to FAQ\" entries are written to; default from-slack.yaml in the FAQ folder.",
    )

    @field_validator("admins", mode="before")
    @classmethod
    def _ids(cls, value: object) -> object:
        return [v.strip() for v in value.split(",") if v.strip()] if isinstance(value, str) else value

    @field_validator("slack_bot_token", "slack_signing_secret", "slack_app_token", "user_hash_key", "slack_client_id",
                     "slack_client_secret", "slack_redirect_uri", mode="before")
    @classmethod
    def _unset(cls, value: object) -> object:
        """`SLACK_BOT_TOKEN=` (as in a copied .env.example) means not set."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("channel_modes", mode="before")
    @classmethod
    def _pairs(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        pairs = [p.strip() for p in value.split(",") if p.strip()]
        if any(p.count("=") != 1 for p in pairs):
            raise ValueError("expected CHANNEL_ID=mode pairs separated by commas, e.g. C0123ABC=silent")
        return {k.strip(): v.strip() for k, v in (p.split("=") for p in pairs)}

    @classmethod
    def variable(cls, field: str) -> str:
        """The environment variable of a field: FAQBOT_ + its name, or Slack's/the platform's own."""
        alias = cls.model_fields[field].validation_alias
        if isinstance(alias, AliasChoices):
            return next(a for a in alias.choices if isinstance(a, str) and a.isupper())
        return alias if isinstance(alias, str) else f"FAQBOT_{field.upper()}"

    @property
    def secrets(self) -> list[str]:
        """Credential values, for the log filter."""
        secrets = (self.slack_bot_token, self.slack_signing_secret, self.slack_app_token, self.user_hash_key,
                   self.slack_client_secret)
        return [s.get_secret_value() for s in secrets if s]

    @property
    def oauth(self) -> bool:
        """OAuth mode: installed to workspaces through Slack's OAuth flow, tokens kept in the database."""
        return self.slack_client_id is not None and self.slack_client_secret is not None

    def mode_of(self, channel: str) -> ChannelMode:
        return self.channel_modes.get(channel, self.channel_mode)

    @property
    def faq_folder(self) -> Path:
        """The FAQ's folder (the FAQ path itself, or the folder of a one-file FAQ)."""
        return self.faq_path if self.faq_path.is_dir() or not self.faq_path.suffix else self.faq_path.parent

    @property
    def calibration_path(self) -> Path:
        """Where `faqbot calibrate` writes and the app reads: beside the FAQ unless set."""
        return self.calibration if self.calibration is not None else self.faq_folder / CALIBRATION_FILE

    @property
    def capture_path(self) -> Path:
        """Where approved new entries go: the FAQ file itself when the FAQ is one file."""
        if self.capture_file is not None:
            return self.capture_file
        return self.faq_folder / CAPTURE_FILE if self.faq_path.is_dir() or not self.faq_path.suffix else self.faq_path

    def overriding(self, calibration: Calibration) -> Calibration:
        """The calibration with the bars and fuzzy setting this configuration sets."""
        overrides = {"channel": self.channel_threshold, "direct": self.direct_threshold, "fuzzy": self.fuzzy_threshold}
        calibration = dataclasses.replace(calibration, **{k: v for k, v in overrides.items() if v is not None})
        if not self.fuzzy_fallback:
            calibration = dataclasses.replace(calibration, fuzzy=math.inf)  # fuzzy never answers
        return calibration

    @field_validator("model", "index_cache", mode="before")
    @classmethod
    def _none(cls, value: object) -> object:
        return None if isinstance(value, str) and value.strip().lower() in ("", "none") else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value
