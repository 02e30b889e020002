"""What the service counts, in the Prometheus text format (prometheus-client), one registry per app."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


class Metrics:
    """Requests by endpoint and status, render and conversion latency, restarts, queue depth."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("vanban_requests", "Yêu cầu HTTP theo địa chỉ và mã trạng thái",
                                ("endpoint", "status"), registry=self.registry)
        self.render_seconds = Histogram("vanban_render_seconds", "Thời gian dựng văn bản trong tiến trình dựng",
                                        ("action",), buckets=_LATENCY_BUCKETS, registry=self.registry)
        self.conversion_seconds = Histogram("vanban_conversion_seconds", "Thời gian chuyển .docx sang PDF",
                                            buckets=_LATENCY_BUCKETS, registry=self.registry)
        self.converter_restarts = Counter("vanban_converter_restarts", "Số lần LibreOffice được khởi động lại",
                                          registry=self.registry)
        self.worker_restarts = Counter("vanban_worker_restarts", "Số lần tiến trình dựng được thay mới",
                                       registry=self.registry)
        self.queue_depth = Gauge("vanban_queue_depth", "Số yêu cầu đang chờ tiến trình dựng",
                                 registry=self.registry)
        self.in_flight = Gauge("vanban_requests_in_flight", "Số yêu cầu đang được xử lý", registry=self.registry)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
