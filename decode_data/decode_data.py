"""The Reflex app: pages are registered here and nowhere else."""

import reflex as rx

# Reflex compares the app database with the tables it knows at startup: register ours, or it
# reports every migrated table as a pending change (and `reflex db makemigrations` would drop them).
import decode_data.models  # noqa: F401
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
