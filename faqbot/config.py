"""Configuration from the environment (12-factor), with a `.env` file for local runs.

CLI flags override these values through the same class, so a flag and its environment
variable are validated by one code path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from faqbot.matcher import Thresholds

BUNDLED_MODEL = Path(__file__).resolve().parent / "models" / "default"
DEFAULT_CACHE = Path.home() / ".cache" / "faqbot"


class Settings(BaseSettings):
    """Every setting faqbot reads; the environment variable is FAQBOT_ + the upper-case name."""

    model_config = SettingsConfigDict(env_prefix="FAQBOT_", env_file=".env", extra="ignore")

    faq_path: Path = Field(Path("faq_data"), description="FAQ YAML file or folder of files.")
    model: Path | None = Field(
        BUNDLED_MODEL, description="Model folder of the Siamese LSTM encoder; 'none' for fuzzy matching only."
    )
    index_cache: Path | None = Field(
        DEFAULT_CACHE, description="Folder for encoded FAQ phrasings, reused while model and FAQ are unchanged; 'none' to disable."
    )
    semantic_threshold: float = Field(
        Thresholds.semantic, ge=-1.0, le=1.0, description="Minimum encoder cosine to answer."
    )
    fuzzy_threshold: float = Field(
        Thresholds.fuzzy, ge=0.0, le=1.0, description="Minimum rapidfuzz ratio (0-1) to answer when the encoder does not."
    )
    fuzzy_fallback: bool = Field(True, description="Answer by fuzzy matching when the encoder is not confident.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        "INFO", description="Python logging level."
    )

    @field_validator("model", "index_cache", mode="before")
    @classmethod
    def _none(cls, value: object) -> object:
        return None if isinstance(value, str) and value.strip().lower() in ("", "none") else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value
