"""Streams the rows of a demo source from its plan into a sink.

Memory stays bounded at any scale: orders, lines, discounts and refunds are generated one order at
a time into the sink's batch buffers; the only per-enterprise state is the set of (learner,
course) pairs it enrolled (for data-sharing consent), dropped once the enterprise is done.
Money is integer cents until the codec turns it into what the driver wants.

Rows are tuples in ``table.columns`` order. Small tables are built with ``make_row`` (keyword
values, checked against the table's columns); the millions of order/line/discount/user rows are
written as literal tuples for speed, one commented layout per table.

The parts: ``catalog.py`` (the shared state, the catalog, enterprises and users), ``orders.py``
(orders, lines, discounts, refunds, consents) and ``offers.py`` (offers, coupons, subscriptions).
"""

from __future__ import annotations

from lcm_etl.demo.offers import OfferBuilder
from lcm_etl.demo.orders import OrderBuilder


class Builder(OrderBuilder, OfferBuilder):
    """Writes a whole demo source: ``write_catalog``, ``write_enterprises``, ``write_users``,
    ``write_orders``, ``write_offers``, ``write_subscriptions``, in that order."""
