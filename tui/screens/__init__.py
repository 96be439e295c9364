"""One screen per task (dashboard, lookup, devices, sync) and the modal dialogs."""
