# lvs.cluster.windows_loopback: a Windows LVS-DR real server (KM-TEST loopback adapter with the
# VIPs, weak host model, firewall), run by ansible.windows.win_powershell (check mode through
# SupportsShouldProcess: $Ansible.CheckMode). Also runnable by hand: .\lvs_loopback.ps1 -Name ... -WhatIf
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Read, decide, apply: Get-LoopbackState reads, Get-LoopbackPlan decides (pure: state + wanted
# settings in, list of actions out), Invoke-LoopbackAction applies one action, never in check mode.

#Requires -Version 5.1
[CmdletBinding(SupportsShouldProcess = $true)]
param(
    [string]$Name = 'LVS Loopback',
    [string[]]$Addresses = @(),
    [string]$ServiceInterface,
    [bool]$WeakHost = $true,
    [int]$InterfaceMetric = 254,
    [bool]$DnsRegistration = $false,
    [object[]]$FirewallRules = @(),
    [string]$FirewallGroup = 'lvs.cluster',
    [bool]$Purge = $false,
    [bool]$RemoveAdapter = $false,
    [ValidateSet('present', 'absent')][string]$State = 'present'
)

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'

$checkMode = [bool]$WhatIfPreference
$underAnsible = $null -ne (Get-Variable -Name Ansible -ErrorAction SilentlyContinue)
if ($underAnsible) {
    $checkMode = [bool]$Ansible.CheckMode
}

$setupApi = @'
using System;
using System.Runtime.InteropServices;
using System.Text;

namespace LvsCluster
{
    public static class Loopback
    {
        [StructLayout(LayoutKind.Sequential)]
        public struct SP_DEVINFO_DATA
        {
            public int cbSize;
            public Guid ClassGuid;
            public int DevInst;
            public IntPtr Reserved;
        }

        const int DICD_GENERATE_ID = 0x1;
        const int DIF_REGISTERDEVICE = 0x19;
        const int DIF_REMOVE = 0x5;
        const int SPDRP_HARDWAREID = 0x1;
        const int DIGCF_PRESENT = 0x2;
        const int INSTALLFLAG_FORCE = 0x1;

        [DllImport("setupapi.dll", SetLastError = true)]
        static extern IntPtr SetupDiCreateDeviceInfoList(ref Guid classGuid, IntPtr hwndParent);

        [DllImport("setupapi.dll", SetLastError = true, CharSet = CharSet.Unicode)]
        static extern bool SetupDiCreateDeviceInfoW(IntPtr set, string name, ref Guid classGuid, string description,
            IntPtr hwndParent, int flags, ref SP_DEVINFO_DATA data);

        [DllImport("setupapi.dll", SetLastError = true, CharSet = CharSet.Unicode)]
        static extern bool SetupDiSetDeviceRegistryPropertyW(IntPtr set, ref SP_DEVINFO_DATA data, int property,
            byte[] buffer, int size);

        [DllImport("setupapi.dll", SetLastError = true)]
        static extern bool SetupDiCallClassInstaller(int function, IntPtr set, ref SP_DEVINFO_DATA data);

        [DllImport("setupapi.dll", SetLastError = true)]
        static extern bool SetupDiDestroyDeviceInfoList(IntPtr set);

        [DllImport("setupapi.dll", SetLastError = true, CharSet = CharSet.Unicode)]
        static extern IntPtr SetupDiGetClassDevsW(ref Guid classGuid, string enumerator, IntPtr hwndParent, int flags);

        [DllImport("setupapi.dll", SetLastError = true)]
        static extern bool SetupDiEnumDeviceInfo(IntPtr set, int index, ref SP_DEVINFO_DATA data);

        [DllImport("setupapi.dll", SetLastError = true, CharSet = CharSet.Unicode)]
        static extern bool SetupDiGetDeviceInstanceIdW(IntPtr set, ref SP_DEVINFO_DATA data, StringBuilder id,
            int size, out int required);

        [DllImport("newdev.dll", SetLastError = true, CharSet = CharSet.Unicode)]
        static extern bool UpdateDriverForPlugAndPlayDevicesW(IntPtr hwndParent, string hardwareId, string infPath,
            int flags, out bool rebootRequired);

        static readonly Guid NetClass = new Guid("4d36e972-e325-11ce-bfc1-08002be10318");
        static readonly IntPtr Invalid = new IntPtr(-1);

        // Creates a root-enumerated *MSLOOP device and installs netloop.inf on it: what devcon
        // "install netloop.inf *MSLOOP" does, with the APIs shipped in Windows. Returns reboot-required.
        public static bool Create(string infPath)
        {
            Guid cls = NetClass;
            IntPtr set = SetupDiCreateDeviceInfoList(ref cls, IntPtr.Zero);
            if (set == Invalid) throw new System.ComponentModel.Win32Exception();
            try
            {
                SP_DEVINFO_DATA data = new SP_DEVINFO_DATA();
                data.cbSize = Marshal.SizeOf(typeof(SP_DEVINFO_DATA));
                if (!SetupDiCreateDeviceInfoW(set, "NET", ref cls, null, IntPtr.Zero, DICD_GENERATE_ID, ref data))
                    throw new System.ComponentModel.Win32Exception();
                byte[] hwid = Encoding.Unicode.GetBytes("*MSLOOP\0\0");
                if (!SetupDiSetDeviceRegistryPropertyW(set, ref data, SPDRP_HARDWAREID, hwid, hwid.Length))
                    throw new System.ComponentModel.Win32Exception();
                if (!SetupDiCallClassInstaller(DIF_REGISTERDEVICE, set, ref data))
                    throw new System.ComponentModel.Win32Exception();
            }
            finally
            {
                SetupDiDestroyDeviceInfoList(set);
            }
            bool reboot;
            if (!UpdateDriverForPlugAndPlayDevicesW(IntPtr.Zero, "*MSLOOP", infPath, INSTALLFLAG_FORCE, out reboot))
                throw new System.ComponentModel.Win32Exception();
            return reboot;
        }

        // Removes the network device with this PnP instance id (DIF_REMOVE, as "devcon remove").
        public static bool Remove(string instanceId)
        {
            Guid cls = NetClass;
            IntPtr set = SetupDiGetClassDevsW(ref cls, null, IntPtr.Zero, DIGCF_PRESENT);
            if (set == Invalid) throw new System.ComponentModel.Win32Exception();
            try
            {
                SP_DEVINFO_DATA data = new SP_DEVINFO_DATA();
                data.cbSize = Marshal.SizeOf(typeof(SP_DEVINFO_DATA));
                for (int i = 0; SetupDiEnumDeviceInfo(set, i, ref data); i++)
                {
                    StringBuilder id = new StringBuilder(512);
                    int required;
                    if (!SetupDiGetDeviceInstanceIdW(set, ref data, id, id.Capacity, out required)) continue;
                    if (String.Equals(id.ToString(), instanceId, StringComparison.OrdinalIgnoreCase))
                    {
                        if (!SetupDiCallClassInstaller(DIF_REMOVE, set, ref data))
                            throw new System.ComponentModel.Win32Exception();
                        return true;
                    }
                }
                return false;
            }
            finally
            {
                SetupDiDestroyDeviceInfoList(set);
            }
        }
    }
}
'@

Function Get-LoopbackAdapter {
    <# The KM-TEST loopback adapter named $Name, or $null; fails when $Name is another kind of adapter. #>
    param([Parameter(Mandatory = $true)][string]$Name)
    $adapter = Get-NetAdapter -Name $Name -ErrorAction SilentlyContinue
    if ($null -ne $adapter -and $adapter.ComponentID -ne '*MSLOOP') {
        throw "adapter '$Name' exists but is not a Microsoft KM-TEST loopback adapter (ComponentID $($adapter.ComponentID))"
    }
    return $adapter
}

Function Get-LoopbackState {
    <# Reads everything the plan depends on into plain data. #>
    param(
        [Parameter(Mandatory = $true)][string]$Name,
        [string]$ServiceInterface,
        [Parameter(Mandatory = $true)][string]$FirewallGroup
    )
    $state = @{ adapter = $null; addresses = @(); ip_interfaces = @(); dns_registration = $null; service = @(); firewall = @() }
    $adapter = Get-LoopbackAdapter -Name $Name
    if ($null -ne $adapter) {
        $state.adapter = @{ name = $adapter.Name; index = [int]$adapter.ifIndex; instance_id = $adapter.PnPDeviceID }
        $state.addresses = @(Get-NetIPAddress -InterfaceIndex $adapter.ifIndex -ErrorAction SilentlyContinue | ForEach-Object {
                @{ address = $_.IPAddress; prefix = [int]$_.PrefixLength; family = [string]$_.AddressFamily; skip_as_source = [bool]$_.SkipAsSource }
            })
        $state.ip_interfaces = @(Get-NetIPInterface -InterfaceIndex $adapter.ifIndex -ErrorAction SilentlyContinue | ForEach-Object {
                @{ family = [string]$_.AddressFamily; weak_host_send = [string]$_.WeakHostSend; weak_host_receive = [string]$_.WeakHostReceive; metric = [int]$_.InterfaceMetric; dhcp = [string]$_.Dhcp }
            })
        $dns = Get-DnsClient -InterfaceIndex $adapter.ifIndex -ErrorAction SilentlyContinue
        if ($null -ne $dns) {
            $state.dns_registration = [bool]$dns.RegisterThisConnectionsAddress
        }
    }
    if ($ServiceInterface) {
        $service = Get-NetAdapter -Name $ServiceInterface -ErrorAction SilentlyContinue
        if ($null -eq $service) {
            throw "service_interface '$ServiceInterface' is not a network adapter of this host"
        }
        $state.service = @(Get-NetIPInterface -InterfaceIndex $service.ifIndex -ErrorAction SilentlyContinue | ForEach-Object {
                @{ name = $ServiceInterface; index = [int]$service.ifIndex; family = [string]$_.AddressFamily; weak_host_receive = [string]$_.WeakHostReceive }
            })
    }
    $state.firewall = @(Get-NetFirewallRule -Group $FirewallGroup -ErrorAction SilentlyContinue | ForEach-Object {
            $port = $_ | Get-NetFirewallPortFilter
            $addr = $_ | Get-NetFirewallAddressFilter
            @{
                name = $_.Name
                display_name = $_.DisplayName
                protocol = ([string]$port.Protocol).ToLowerInvariant()
                ports = @($port.LocalPort | ForEach-Object { [string]$_ })
                local_addresses = @($addr.LocalAddress | ForEach-Object { [string]$_ })
                enabled = ([string]$_.Enabled -eq 'True')
                direction = [string]$_.Direction
                action = [string]$_.Action
            }
        })
    return $state
}

Function ConvertTo-VipSpec {
    <# '192.0.2.10' or '192.0.2.10/32' -> @{address; prefix; family}; only host prefixes are accepted. #>
    param([Parameter(Mandatory = $true)][string]$Vip)
    $parts = $Vip.Split('/')
    $ip = $null
    if (-not [System.Net.IPAddress]::TryParse($parts[0], [ref]$ip)) {
        throw "addresses: '$Vip' is not an IP address"
    }
    $family = 'IPv4'
    $hostPrefix = 32
    if ($ip.AddressFamily -eq [System.Net.Sockets.AddressFamily]::InterNetworkV6) {
        $family = 'IPv6'
        $hostPrefix = 128
    }
    if ($parts.Count -gt 1 -and [int]$parts[1] -ne $hostPrefix) {
        throw "addresses: '$Vip' must be a host address (/$hostPrefix): a wider prefix on the loopback adapter makes Windows treat the whole network as local"
    }
    return @{ address = $ip.ToString(); prefix = $hostPrefix; family = $family }
}

Function Get-LoopbackPlan {
    <# Pure decision: current state + wanted settings -> ordered list of actions (hashtables). #>
    param(
        [Parameter(Mandatory = $true)][hashtable]$State,
        [Parameter(Mandatory = $true)][hashtable]$Want
    )
    $actions = [System.Collections.Generic.List[hashtable]]@()
    $link = '^(fe80:|169\.254\.)'
    if ($Want.state -eq 'absent') {
        foreach ($rule in $State.firewall) {
            $actions.Add(@{ action = 'remove_firewall_rule'; name = $rule.name })
        }
        if ($null -ne $State.adapter) {
            foreach ($addr in $State.addresses) {
                if ($addr.address -notmatch $link) {
                    $actions.Add(@{ action = 'remove_address'; address = $addr.address })
                }
            }
            if ($Want.remove_adapter) {
                $actions.Add(@{ action = 'remove_adapter'; instance_id = $State.adapter.instance_id })
            }
        }
        return , $actions.ToArray()
    }

    if ($null -eq $State.adapter) {
        $actions.Add(@{ action = 'create_adapter'; name = $Want.name })
    }
    $families = @('IPv4')
    if (@($Want.vips | Where-Object { $_.family -eq 'IPv6' }).Count -gt 0) {
        $families += 'IPv6'
    }
    foreach ($family in $families) {
        $current = $State.ip_interfaces | Where-Object { $_.family -eq $family }
        $settings = @{}
        if ($null -eq $current -or $current.metric -ne $Want.interface_metric) {
            $settings.InterfaceMetric = $Want.interface_metric
        }
        if ($family -eq 'IPv4' -and ($null -eq $current -or $current.dhcp -ne 'Disabled')) {
            $settings.Dhcp = 'Disabled'
        }
        if ($Want.weak_host) {
            if ($null -eq $current -or $current.weak_host_receive -ne 'Enabled') { $settings.WeakHostReceive = 'Enabled' }
            if ($null -eq $current -or $current.weak_host_send -ne 'Enabled') { $settings.WeakHostSend = 'Enabled' }
        }
        if ($settings.Count -gt 0) {
            $actions.Add(@{ action = 'set_ip_interface'; target = 'loopback'; family = $family; settings = $settings })
        }
        if ($Want.weak_host) {
            $svc = $State.service | Where-Object { $_.family -eq $family }
            if ($null -ne $svc -and $svc.weak_host_receive -ne 'Enabled') {
                $actions.Add(@{ action = 'set_ip_interface'; target = 'service'; index = $svc.index; family = $family; settings = @{ WeakHostReceive = 'Enabled' } })
            }
        }
    }
    if ($null -eq $State.adapter -or $State.dns_registration -ne $Want.dns_registration) {
        $actions.Add(@{ action = 'set_dns_registration'; value = $Want.dns_registration })
    }
    foreach ($vip in $Want.vips) {
        $have = $State.addresses | Where-Object { $_.address -eq $vip.address }
        if ($null -ne $have -and ($have.prefix -ne $vip.prefix -or -not $have.skip_as_source)) {
            $actions.Add(@{ action = 'remove_address'; address = $vip.address })
            $have = $null
        }
        if ($null -eq $have) {
            $actions.Add(@{ action = 'add_address'; address = $vip.address; prefix = $vip.prefix })
        }
    }
    if ($Want.purge) {
        $wanted = @($Want.vips | ForEach-Object { $_.address })
        foreach ($addr in $State.addresses) {
            if ($wanted -notcontains $addr.address -and $addr.address -notmatch $link) {
                $actions.Add(@{ action = 'remove_address'; address = $addr.address })
            }
        }
    }
    # the firewall group is owned by this module: rules not wanted are removed, changed ones replaced
    $wantedRules = @{}
    foreach ($rule in $Want.firewall_rules) {
        $id = "lvs.cluster-$($rule.name)-$($rule.protocol)"
        $wantedRules[$id] = $true
        $have = $State.firewall | Where-Object { $_.name -eq $id }
        $ports = @($rule.ports | Sort-Object -Unique | ForEach-Object { [string]$_ })
        $addresses = @($rule.local_addresses | Sort-Object -Unique)
        if ($addresses.Count -eq 0) {
            $addresses = @('Any')
        }
        $same = $false
        if ($null -ne $have) {
            $same = ($have.protocol -eq $rule.protocol) -and $have.enabled -and ($have.direction -eq 'Inbound') -and
            ($have.action -eq 'Allow') -and
            ((@($have.ports | Sort-Object) -join ',') -eq ($ports -join ',')) -and
            ((@($have.local_addresses | Sort-Object) -join ',') -eq ($addresses -join ','))
            if (-not $same) {
                $actions.Add(@{ action = 'remove_firewall_rule'; name = $id })
            }
        }
        if (-not $same) {
            $actions.Add(@{ action = 'add_firewall_rule'; name = $id; display_name = "lvs.cluster $($rule.name) ($($rule.protocol))"; protocol = $rule.protocol; ports = $ports; local_addresses = $addresses })
        }
    }
    foreach ($rule in $State.firewall) {
        if (-not $wantedRules.ContainsKey($rule.name)) {
            $actions.Add(@{ action = 'remove_firewall_rule'; name = $rule.name })
        }
    }
    return , $actions.ToArray()
}

Function Invoke-LoopbackAction {
    <# Applies one action of the plan. Returns $true when Windows asks for a reboot. #>
    param(
        [Parameter(Mandatory = $true)][hashtable]$Action,
        [Parameter(Mandatory = $true)][hashtable]$Want,
        [Parameter(Mandatory = $true)][ref]$Index
    )
    switch ($Action.action) {
        'create_adapter' {
            if (-not ('LvsCluster.Loopback' -as [type])) {
                Add-Type -TypeDefinition $setupApi
            }
            $before = @(Get-NetAdapter -IncludeHidden -ErrorAction SilentlyContinue | ForEach-Object { $_.ifIndex })
            $inf = Join-Path -Path $env:windir -ChildPath 'inf\netloop.inf'
            $reboot = [LvsCluster.Loopback]::Create($inf)
            $new = $null
            for ($try = 0; $try -lt 30 -and $null -eq $new; $try++) {
                Start-Sleep -Milliseconds 500
                $new = Get-NetAdapter -ErrorAction SilentlyContinue | Where-Object { $_.ComponentID -eq '*MSLOOP' -and $before -notcontains $_.ifIndex } | Select-Object -First 1
            }
            if ($null -eq $new) {
                throw 'the KM-TEST loopback device was installed but no new network adapter appeared'
            }
            Rename-NetAdapter -InputObject $new -NewName $Action.name
            $Index.Value = [int]$new.ifIndex
            return $reboot
        }
        'set_ip_interface' {
            $settings = $Action.settings
            $idx = $Index.Value
            if ($Action.target -eq 'service') {
                $idx = $Action.index
            }
            Set-NetIPInterface -InterfaceIndex $idx -AddressFamily $Action.family @settings
        }
        'set_dns_registration' {
            Set-DnsClient -InterfaceIndex $Index.Value -RegisterThisConnectionsAddress $Action.value
        }
        'add_address' {
            New-NetIPAddress -InterfaceIndex $Index.Value -IPAddress $Action.address -PrefixLength $Action.prefix -SkipAsSource $true | Out-Null
        }
        'remove_address' {
            Remove-NetIPAddress -InterfaceIndex $Index.Value -IPAddress $Action.address -Confirm:$false
        }
        'add_firewall_rule' {
            New-NetFirewallRule -Name $Action.name -DisplayName $Action.display_name -Group $Want.firewall_group `
                -Direction Inbound -Action Allow -Protocol $Action.protocol.ToUpperInvariant() -LocalPort $Action.ports `
                -LocalAddress $Action.local_addresses -Enabled True | Out-Null
        }
        'remove_firewall_rule' {
            Remove-NetFirewallRule -Name $Action.name
        }
        'remove_adapter' {
            if (-not ('LvsCluster.Loopback' -as [type])) {
                Add-Type -TypeDefinition $setupApi
            }
            [void][LvsCluster.Loopback]::Remove($Action.instance_id)
        }
    }
    return $false
}

$want = @{
    name = $Name
    state = $State
    vips = @($Addresses | ForEach-Object { ConvertTo-VipSpec -Vip $_ })
    weak_host = $WeakHost
    interface_metric = $InterfaceMetric
    dns_registration = $DnsRegistration
    firewall_rules = @($FirewallRules | ForEach-Object {
            @{ name = [string]$_.name; protocol = ([string]$_.protocol).ToLowerInvariant(); ports = @($_.ports | ForEach-Object { [int]$_ }); local_addresses = @($_.local_addresses | Where-Object { $_ }) }
        })
    firewall_group = $FirewallGroup
    purge = $Purge
    remove_adapter = $RemoveAdapter
}

$before = Get-LoopbackState -Name $want.name -ServiceInterface $ServiceInterface -FirewallGroup $want.firewall_group
$plan = Get-LoopbackPlan -State $before -Want $want
$result = @{ actions = @($plan | ForEach-Object { $_.action }); reboot_required = $false }
$after = $before

if ($plan.Count -gt 0 -and -not $checkMode) {
    $index = -1
    if ($null -ne $before.adapter) {
        $index = $before.adapter.index
    }
    foreach ($action in $plan) {
        try {
            if (Invoke-LoopbackAction -Action $action -Want $want -Index ([ref]$index)) {
                $result.reboot_required = $true
            }
        }
        catch {
            throw "$($action.action) failed: $($_.Exception.Message)"
        }
    }
    $after = Get-LoopbackState -Name $want.name -ServiceInterface $ServiceInterface -FirewallGroup $want.firewall_group
}
if ($State -eq 'present' -and $null -ne $after.adapter) {
    $result.interface_index = $after.adapter.index
}

if ($underAnsible) {
    $Ansible.Changed = $plan.Count -gt 0
    $Ansible.Result = $result
    $Ansible.Diff = @{ before = $before; after = $after }
}
else {
    [PSCustomObject]@{ changed = $plan.Count -gt 0; actions = $result.actions; reboot_required = $result.reboot_required }
}
