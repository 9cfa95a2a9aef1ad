"""One router per resource: types, interventions, commands, exports."""
