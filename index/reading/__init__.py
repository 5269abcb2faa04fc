"""Reading a published generation: its searchers, one snapshot per request, the engine's handle, recent answers, suggestions."""
