//go:build tools

// This file pins the modules the project is built on before every one of them
// is imported by real code, so that go mod tidy keeps them. It is never built.
package main

import (
	_ "github.com/FISCO-BCOS/crypto/tls"
	_ "github.com/FISCO-BCOS/crypto/x509"
	_ "github.com/FISCO-BCOS/go-sdk/client"
	_ "github.com/FISCO-BCOS/go-sdk/conf"
	_ "github.com/FISCO-BCOS/go-sdk/conn"
	_ "github.com/charmbracelet/bubbles/help"
	_ "github.com/charmbracelet/bubbles/key"
	_ "github.com/charmbracelet/bubbles/spinner"
	_ "github.com/charmbracelet/bubbles/textinput"
	_ "github.com/charmbracelet/bubbles/viewport"
	_ "github.com/charmbracelet/bubbletea"
	_ "github.com/charmbracelet/lipgloss"
	_ "github.com/charmbracelet/x/exp/golden"
	_ "github.com/charmbracelet/x/exp/teatest"
	_ "github.com/muesli/termenv"
	_ "github.com/sirupsen/logrus"
)
