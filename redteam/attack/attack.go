// Package attack holds redoubt's built-in attacks (redteam.Attack): the
// transforms that dress a baseline prompt to slip past a target's defences,
// and the strategies that play a conversation turn by turn. All is the one
// list of them; a plan draws on it.
package attack
