"""The analytics service: windowed statistics of the notification lifecycle, with faust-streaming."""
