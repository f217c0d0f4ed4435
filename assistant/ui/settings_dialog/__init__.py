"""Settings: models and precision (the measured trade-off of every variant), hardware, about.

One module per page (models_page, hardware_page, about_page), the dialog that holds them (dialog), what
they show collected off the GUI thread (data) and how numbers read (formatting). Everything shown is read
from the catalog (the factory's manifest), the policy's decisions, the measurements on this machine and
the live session. Changing a model's precision saves the settings and switches the live model at once
(MainWindow does both).
"""

from assistant.ui.settings_dialog.dialog import SettingsDialog
from assistant.ui.settings_dialog.formatting import tick_label_format

__all__ = ["SettingsDialog", "tick_label_format"]
