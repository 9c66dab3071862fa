"""The Reflex app: pages are registered here and nowhere else."""

import reflex as rx

from decode_data.pages.landing import PITCH, PRODUCT_NAME, landing
from decode_data.states.catalog import CatalogState

app = rx.App()
app.add_page(
    landing,
    route="/",
    title=PRODUCT_NAME,
    description=PITCH,
    on_load=CatalogState.load,
)
