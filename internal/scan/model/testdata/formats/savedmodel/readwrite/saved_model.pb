H
"serve*2.15.05

pathConst

stealReadFile

drop	WriteFile