"""The rmstudio web app (Gradio): `app.build_app` assembles one module per tab; handlers only call core modules."""
