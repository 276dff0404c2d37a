; Inno Setup 6 script for Backdesk's Windows setup program.
; installer/build.py runs it after freezing, passing the version (from app/version.py)
; and the paths:  ISCC /DAppVersion=VERSION /DSourceDir=dist\Backdesk /DOutputDir=dist
;                      /DIconFile=build\installer\icons\backdesk.ico backdesk.iss

#ifndef AppVersion
  #error Pass the version: ISCC /DAppVersion=... (installer/build.py does)
#endif
#ifndef SourceDir
  #define SourceDir "..\..\dist\Backdesk"
#endif
#ifndef OutputDir
  #define OutputDir "..\..\dist"
#endif
#ifndef IconFile
  #define IconFile "..\..\build\installer\icons\backdesk.ico"
#endif

[Setup]
; The AppId identifies the product to Windows across versions: never change it, or an
; upgrade installs beside the old version instead of over it.
AppId={{6F4B2C1E-8D3A-4B7E-9C52-0A1D3E5F7B90}
AppName=Backdesk
AppVersion={#AppVersion}
AppVerName=Backdesk {#AppVersion}
AppPublisher=Backdesk
AppCopyright=Copyright © 2026 Backdesk
VersionInfoVersion={#AppVersion}
DefaultDirName={autopf}\Backdesk
DefaultGroupName=Backdesk
DisableProgramGroupPage=yes
; Per machine by default (IT installs for the office); a user without admin rights may
; choose to install for themselves only.
PrivilegesRequired=admin
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir={#OutputDir}
OutputBaseFilename=Backdesk-{#AppVersion}-setup
SetupIconFile={#IconFile}
UninstallDisplayIcon={app}\Backdesk.exe
UninstallDisplayName=Backdesk {#AppVersion}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; Closes a running Backdesk before replacing its files.
CloseApplications=yes
RestartApplications=no

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; The bundle's files change names between versions; stale ones must not be loaded.
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{autoprograms}\Backdesk"; Filename: "{app}\Backdesk.exe"; AppUserModelID: "com.backdesk.Backdesk"
Name: "{autodesktop}\Backdesk"; Filename: "{app}\Backdesk.exe"; Tasks: desktopicon; AppUserModelID: "com.backdesk.Backdesk"

[Run]
Filename: "{app}\Backdesk.exe"; Description: "{cm:LaunchProgram,Backdesk}"; Flags: nowait postinstall skipifsilent

; The workspace (the user's encrypted data, under %LOCALAPPDATA%\Backdesk) is left in
; place on uninstall: removing the program must never remove the broker's records.
