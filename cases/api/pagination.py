"""The API's pagination (settings.REST_FRAMEWORK's default): DRF's limit/offset, with the
parameters checked instead of trusted. DRF's own class passes any offset to the database,
where `offset=10**20` was a 500 (bigint out of range), and quietly answers a default page
for `limit=abc`; here a value that is not a whole number in range is a 400 naming it, and a
limit above MAX_LIMIT (but within a bigint) is capped to it, as DRF does."""

from __future__ import annotations

from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request

from cases.api.fields import MAX_BIGINT, whole_number

MAX_LIMIT = 500


class CheckedLimitOffsetPagination(LimitOffsetPagination):
    max_limit = MAX_LIMIT

    def get_limit(self, request: Request) -> int | None:
        raw = request.query_params.get(self.limit_query_param)
        if raw is None or raw == "":
            return self.default_limit
        return min(whole_number(raw, name=self.limit_query_param, minimum=1, maximum=MAX_BIGINT), self.max_limit)

    def get_offset(self, request: Request) -> int:
        raw = request.query_params.get(self.offset_query_param)
        if raw is None or raw == "":
            return 0
        return whole_number(raw, name=self.offset_query_param, minimum=0, maximum=MAX_BIGINT)
