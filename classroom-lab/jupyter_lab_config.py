"""JupyterLab for a class: ``jupyter lab --config=classroom-lab/jupyter_lab_config.py notebooks/``

Reads its settings from this folder (wherever the command is typed from): ``page_config.json``
switches off the "get notified about official Jupyter news?" pop-up (the announcements plugin,
which would otherwise cover the first dashboard a class sees), and the server neither fetches
news nor checks for updates.
"""
import os

c = get_config()  # noqa: F821 - given by Jupyter when it reads this file

c.LabApp.app_settings_dir = os.path.dirname(os.path.abspath(__file__))
c.LabApp.news_url = None
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"
