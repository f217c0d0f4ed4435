@echo off
rem Build the Windows bundle and its installer (run from the checkout on Windows, Python 3.11 and Inno Setup 6
rem installed). The lock files in requirements\ are resolved on Linux, so Windows installs the same pins from
rem pyproject.toml (Windows-only dependencies such as pywin32-ctypes for keyring are resolved here).
setlocal
cd /d "%~dp0\..\.."
if not exist .venv\Scripts\python.exe py -3.11 -m venv .venv || exit /b 1
.venv\Scripts\python -m pip install -q -e ".[package]" || exit /b 1
.venv\Scripts\python packaging\make_icons.py || exit /b 1
.venv\Scripts\python -m PyInstaller packaging\assistant.spec --noconfirm --distpath dist --workpath build\pyinstaller || exit /b 1
dist\offline-assistant\offline-assistant.exe --self-test || exit /b 1
iscc packaging\windows\assistant.iss || exit /b 1
echo Built dist\offline-assistant-0.1.0-windows-x64-setup.exe
