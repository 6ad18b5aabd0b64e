"""What the agent's part of service registers (called once from ``ServiceConfig.ready``): the open-tickets panel of
the 360 page and of the screen pop."""


def register() -> None:
    from kehu.core.registry import register_panel

    from ..panels import OPEN_TICKETS_PANEL

    register_panel(OPEN_TICKETS_PANEL)
