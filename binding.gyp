{
  # Sources come from native/sources.json, the list CMakeLists.txt reads too.
  "variables": {
    "werror%": "<!(node -p \"process.env.CI || process.env.SYSHTTP_WERROR ? 1 : 0\")"
  },
  "targets": [
    {
      "target_name": "syshttp",
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_DISABLE_CPP_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED"
      ],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "cflags_cc": ["-std=c++20", "-fno-exceptions", "-fvisibility=hidden", "-Wall", "-Wextra", "-Wno-missing-field-initializers"],
      "conditions": [
        ["OS=='linux'", {
          "sources": ["<!@(node scripts/sources.js http linux addon)"]
        }],
        # Windows (npm install with MSVC): the HTTP.sys backend. The Linux cross-build
        # (npm run build:windows) goes through CMakeLists.txt instead.
        ["OS=='win'", {
          "sources": ["<!@(node scripts/sources.js http win addon)"],
          "defines": ["WIN32_LEAN_AND_MEAN", "NOMINMAX", "_WIN32_WINNT=0x0A00", "_HAS_EXCEPTIONS=0"],
          "libraries": ["httpapi.lib"],
          "msvs_settings": {
            "VCCLCompilerTool": {
              "AdditionalOptions": ["/std:c++20", "/utf-8"],
              "ExceptionHandling": 0,
              "WarningLevel": 3
            }
          },
          "conditions": [
            ["werror==1", {
              "msvs_settings": { "VCCLCompilerTool": { "WarnAsError": "true" } }
            }]
          ]
        }],
        ["werror==1", {
          "cflags_cc": ["-Werror"]
        }]
      ]
    }
  ]
}
