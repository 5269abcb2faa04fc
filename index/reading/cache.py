"""Recent responses, valid for one generation and one synonyms list.

Readers repeat queries ("diabetes", "high blood pressure"); answering a
repeat from memory leaves the threads to new ones. A new generation or an
edited synonyms list empties it. Answers (pools, pages) are frozen values,
so they are shared as they are.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Hashable



class ResponseCache:
    def __init__(self, size: int) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._version: tuple | None = None
        self._entries: OrderedDict[Hashable, object] = OrderedDict()

    def get(self, version: tuple, key: Hashable) -> object | None:
        with self._lock:
            if version != self._version or key not in self._entries:
                return None
            self._entries.move_to_end(key)
            return self._entries[key]

    def put(self, version: tuple, key: Hashable, response: object) -> None:
        with self._lock:
            if version != self._version:
                self._version, self._entries = version, OrderedDict()
            self._entries[key] = response
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
