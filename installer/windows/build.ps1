# Builds Backdesk on Windows: dist\Backdesk\ (Backdesk.exe, backdesk-cli.exe) and, with
# Inno Setup 6 installed, dist\Backdesk-VERSION-setup.exe. See README, "Installing Backdesk".
#   powershell -ExecutionPolicy Bypass -File installer\windows\build.ps1 -FontDir C:\path\to\dejavu-fonts-ttf-2.37\ttf
# FontDir holds DejaVuSans.ttf and DejaVuSans-Bold.ttf, with LICENSE in it or its parent.
param(
    [Parameter(Mandatory = $true)][string]$FontDir,
    [string]$Python = "py -3.11"
)
$ErrorActionPreference = "Stop"
# Resolved before moving to the checkout, so a folder relative to where the command was
# typed is found.
$FontDir = (Resolve-Path -LiteralPath $FontDir -ErrorAction Stop).Path
Set-Location (Join-Path $PSScriptRoot "..\..")

function Invoke-Checked([string]$Command) {
    Invoke-Expression $Command
    if ($LASTEXITCODE -ne 0) { throw "failed ($LASTEXITCODE): $Command" }
}

# A fresh venv from the lock each time: no leftover package can reach the bundle.
if (Test-Path .venv-build) { Remove-Item -Recurse -Force .venv-build }
Invoke-Checked "$Python -m venv .venv-build"
$venvPython = ".\.venv-build\Scripts\python.exe"
Invoke-Checked "$venvPython -m pip install --quiet --upgrade pip"
Invoke-Checked "$venvPython -m pip install --quiet -r installer\requirements-build.txt"
Invoke-Checked "$venvPython installer\build.py --font-dir `"$FontDir`""
