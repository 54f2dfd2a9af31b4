"""A simple station registry: known ids with one profile, newcomers adopted on first contact."""

from __future__ import annotations

from evgui.core.events import EventHub
from evgui.core.model import ChargerModel
from evgui.devices.profile import Profile


class AdHocRegistry:
    """Charge points of a headless run or a test: models created with one profile."""

    def __init__(
        self,
        hub: EventHub,
        profile: Profile,
        known: list[str] | None = None,
        passwords: dict[str, str] | None = None,
    ) -> None:
        self.hub, self.profile = hub, profile
        self.models: dict[str, ChargerModel] = {}
        self.passwords = dict(passwords or {})
        for cp_id in known or []:
            self.adopt(cp_id)

    def lookup(self, cp_id: str) -> tuple[ChargerModel, Profile] | None:
        """Return a known charger."""
        model = self.models.get(cp_id)
        return (model, self.profile) if model else None

    def adopt(self, cp_id: str) -> tuple[ChargerModel, Profile]:
        """Create a model for a charger."""
        model = ChargerModel(
            cp_id,
            self.profile.catalogue,
            hub=self.hub,
            e_while_idle=self.profile.quirks.e_while_idle,
        )
        self.models[cp_id] = model
        return model, self.profile

    def password(self, cp_id: str) -> str | None:
        """Return a charger's own password, if it has one."""
        return self.passwords.get(cp_id)
