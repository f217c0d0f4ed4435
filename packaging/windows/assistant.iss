; Inno Setup script of the Windows installer (Inno Setup 6: iscc packaging\windows\assistant.iss).
; Build the bundle first on Windows: packaging\windows\build.cmd (PyInstaller, packaging\assistant.spec);
; it writes dist\offline-assistant\ and build\icons\icon.ico, which this script packs into one setup .exe.
; Per-user install (no administrator rights): %LOCALAPPDATA%\Programs\Offline Assistant, a Start menu entry,
; an optional desktop icon and an uninstaller. The user's chats, settings and face data
; (%LOCALAPPDATA%\offline-assistant) are kept on uninstall, as on Linux.
; Models run with LiteRT (ai-edge-litert has a cp311 win_amd64 wheel), as on Linux: no TensorFlow inside.

#define AppName "Offline Assistant"
#define AppId "offline-assistant"
#define AppVersion "0.1.0"
#define Root "..\.."

[Setup]
AppId={{6E1C5A52-3B8E-4E35-9D0B-0F1A2C7E5B11}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher={#AppName} developers
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir={#Root}\dist
OutputBaseFilename={#AppId}-{#AppVersion}-windows-x64-setup
SetupIconFile={#Root}\build\icons\icon.ico
UninstallDisplayIcon={app}\{#AppId}.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#Root}\dist\{#AppId}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppId}.exe"
Name: "{group}\Uninstall {#AppName}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppId}.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppId}.exe"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
